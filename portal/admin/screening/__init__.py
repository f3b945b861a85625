"""排查研判: screening plans and records, meeting minutes, and the 交办 items they hand out."""
