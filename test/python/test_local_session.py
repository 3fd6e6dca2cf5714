"""The local Spark session's JVM: C1 only for a quick start, with the JIT's code cache kept at the tiered size.

JDK 17 shrinks the code cache to 48 MB when only C1 compiles. A long local run (the stream, its real-time
metrics and the batch in one JVM) filled it: the JIT stopped, and Delta's MERGE then failed with
java.lang.InternalError (no such method linkToSpecial) while linking a method handle.
"""
from __future__ import annotations


def _vm_option(spark, name: str) -> str:
    jvm = spark.sparkContext._jvm
    bean_class = jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    bean = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(bean_class)
    return bean.getVMOption(name).getValue()


def test_the_local_jvm_compiles_with_c1_only_and_keeps_a_240_mb_code_cache(spark):
    assert _vm_option(spark, "TieredStopAtLevel") == "1"
    assert int(_vm_option(spark, "ReservedCodeCacheSize")) == 240 * 1024 * 1024
