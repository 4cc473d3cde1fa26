"""The Azure SDK side: conversions, failure classes, the retry, redaction and request pipeline
policies, the credential's scope, vault location and client options, fork safety."""
