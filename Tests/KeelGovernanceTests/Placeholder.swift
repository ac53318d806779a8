// Replaced as the module gains its first tests.
import Testing
