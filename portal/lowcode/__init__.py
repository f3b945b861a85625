"""The low-code form engine: definition format and lint (`schema`), expressions (`expr`),
answer values (`values`), checking a set of answers (`engine`) and rendering (`render`)."""
