"""Geographic metrics: spatial density, distance to the nearest real point, spatial autocorrelation and
location proximity (privacy). Each judges every geo point of the table (a latitude/longitude pair or a
text column holding both) and lists itself as not evaluated when the table has none."""
