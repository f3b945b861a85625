"""The registers: mediation organisations, mediators and the expert pool."""
