"""Real-world reference data: province and plate codes, administrative units, vehicle brands,
colours and issuing units.

The extraction engine uses these lists to check and correct what it reads; the synthetic-card
generator draws its invented values from them. They describe the world, not the generator: keep
them true and general (everything offline, nothing fetched at run time).
"""
