#!/bin/sh
# Install the OS libraries the portal uses when they are missing and we may install them:
# HarfBuzz subsetting (WeasyPrint's fast font subsetting), Noto CJK fonts for PDFs, LXGW WenKai (the
# 仿宋 stand-in of the GB/T 9704 公文, portal/pdf/fonts.py), Chromium for browser tests. Only on
# Debian/Ubuntu as root; elsewhere print what is missing and go on.
set -u
want=""
[ -e /usr/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0 ] || ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || want="$want libharfbuzz-subset0"
fc-list 2>/dev/null | grep -q "Noto Serif CJK" || want="$want fonts-noto-cjk"
fc-list 2>/dev/null | grep -q "LXGW WenKai" || want="$want fonts-lxgw-wenkai"
command -v pdftoppm >/dev/null 2>&1 || want="$want poppler-utils"
if [ "${WITH_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || want="$want chromium"
fi
[ -z "$want" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing OS packages:$want"
  (apt-get install -y -q --no-install-recommends $want >/dev/null 2>&1 || \
   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $want >/dev/null)) \
   || echo "warning: could not install$want; PDFs or browser tests may be slower or skipped" >&2
else
  echo "note: missing OS packages:$want (install them with your package manager)" >&2
fi
exit 0
