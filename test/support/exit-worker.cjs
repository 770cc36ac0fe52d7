// A worker for tests that must see a worker thread stop: it exits at once with code 3.
process.exit(3);
