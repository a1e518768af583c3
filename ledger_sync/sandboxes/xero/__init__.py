"""A local Xero: identity (OAuth 2 with PKCE, single-use refresh tokens) and an accounting API subset."""
