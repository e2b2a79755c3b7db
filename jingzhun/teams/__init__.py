"""Work teams (驻村工作队) and household helpers (帮扶责任人): cadres, teams, pairs and pairing runs."""
