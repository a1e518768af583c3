"""The pure core: records, money and tax math, mapping rules. No Prefect, no HTTP, no database."""
