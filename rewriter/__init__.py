"""The rewrite pipeline: assess the request, generate candidates, evaluate, rank."""
