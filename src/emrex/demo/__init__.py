"""The demo network: ``emrex demo`` runs a registry, EMPs and an EMC with seeded students on localhost."""
