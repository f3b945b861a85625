"""Assessment: rounds and templates, subsidies, recognitions, accountability reviews."""
