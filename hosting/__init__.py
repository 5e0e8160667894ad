"""Production hosting outside AWS Lambda: the self-hosted HTTPS webservice (flask-ask-sdk), its Alexa request
verifier, the embedded SQLite store and the privacy page. Developer tools live in ``tools/``."""
