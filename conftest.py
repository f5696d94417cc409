pytest_plugins = ["tests.fixtures_roles"]
