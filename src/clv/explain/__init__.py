"""Making a forecast readable: segments that rank customers and say what to do (:mod:`clv.explain.segments`), and
findings in plain words (:mod:`clv.explain.insights`)."""
