"""PySpark jobs of the pinterest-pipeline, shared by Databricks and the local pipeline."""
