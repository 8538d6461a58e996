"""Data for the OpenAPI documents: field descriptions, required fields and enums, in our words."""
