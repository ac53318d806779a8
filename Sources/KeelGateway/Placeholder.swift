// KeelGateway: the model gateway (providers, translation, routing).
