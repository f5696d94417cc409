"""Stand-alone tools: the offline evidence-bundle verifier and the local test TSA. They import nothing of the
project (docs/architecture.md, "Trusted time and the evidence bundle")."""
