"""The grammar ships inside the wheel: a plain install, used from outside the tree, parses."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(os.environ.get("MATCALC_SKIP_PACKAGING") == "1",
                    reason="MATCALC_SKIP_PACKAGING=1")
@pytest.mark.slow
def test_wheel_install_parses_outside_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(wheels), str(ROOT)], check=True)
    (wheel,) = wheels.glob("matcalc-*.whl")
    import zipfile
    names = zipfile.ZipFile(wheel).namelist()
    assert "matcalc/grammar/matcalc.lark" in names
    # the web page and KaTeX ship inside the package too (no CDN, no npm at install)
    for name in ("index.html", "app.js", "style.css", "katex/katex.min.js",
                 "katex/katex.min.css", "katex/fonts/KaTeX_Main-Regular.woff2"):
        assert f"matcalc/web/{name}" in names, name

    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import matcalc; e = matcalc.parse(\"(X*w - y)'*(X*w - y)\"); "
              "print(matcalc.__file__); print(e.shape, str(e)); "
              "from importlib import resources; "
              "print(resources.files('matcalc').joinpath('web/katex/katex.min.js').is_file())")
    result = subprocess.run([str(python), "-c", script], cwd=elsewhere, capture_output=True,
                            text=True, env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    location, output, page = result.stdout.splitlines()
    assert str(ROOT) not in location
    assert output == "() (X*w - y)'*(X*w - y)"
    assert page == "True"
