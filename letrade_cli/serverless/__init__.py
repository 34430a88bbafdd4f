"""AWS Lambda tooling: layer builds, function packaging, deploys and local invokes."""
