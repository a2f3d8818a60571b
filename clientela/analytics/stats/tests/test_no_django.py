import subprocess
import sys


def test_the_statistics_package_imports_no_django():
    # when every stats module is imported in a fresh interpreter
    code = (
        "import sys\n"
        "import clientela.analytics.stats.btyd, clientela.analytics.stats.pareto\n"
        "import clientela.analytics.stats.rfm, clientela.analytics.stats.simulate\n"
        "import clientela.analytics.stats.summary, clientela.analytics.stats.ladder\n"
        "import clientela.analytics.stats.scoring\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    # then no Django module was loaded
    assert result.stdout.strip() == "[]"
