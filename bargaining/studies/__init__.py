"""Monte Carlo studies: named designs (simulator + estimator + truth), sample-size studies, recorded runs."""
