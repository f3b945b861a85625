"""System administration: users and audit log, dispute types, form definitions."""
