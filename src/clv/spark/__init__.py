"""The Spark engine: ``clv.run`` for transaction logs that live in a Spark cluster or outgrow one machine.

Usage (PySpark and Java 17 needed: ``pip install 'clv-platform[spark]'``)::

    import clv
    from clv.spark import run, spark_session

    spark = spark_session("local[2]")            # or the session of a cluster job
    result = run("s3a://bucket/orders/*.parquet", "s3a://bucket/clv/predictions", clv.Settings(horizon=12))
    result.total, result.metadata["notes"], result.predictions(spark).show()

The customer summary is a Spark aggregation, the models are fitted on the driver on the compressed statistics,
scoring runs on the executors, and the numbers equal those of :func:`clv.run` (see :mod:`clv.spark.engine`).
"""

from clv.spark.engine import SparkOptions, SparkRun, run
from clv.spark.session import require_pyspark, spark_session

__all__ = ["SparkOptions", "SparkRun", "require_pyspark", "run", "spark_session"]
