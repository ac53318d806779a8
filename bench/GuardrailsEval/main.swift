// Replaced by the guardrails evaluation and benchmark driver.
print("keel-guardrails-eval")
