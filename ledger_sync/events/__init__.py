"""How Service Opus tells the sync that an invoice was locked or a payment collected: Prefect events."""
