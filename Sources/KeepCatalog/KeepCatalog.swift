// KeepCatalog module.
