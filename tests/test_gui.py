"""A generated denoising trajectory opens in `ase gui` and shows the structure (on an Xvfb virtual screen)."""
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from ase.data import atomic_numbers
from ase.data.colors import jmol_colors
from ase.io import read

from ase_dm2 import DiffusionDynamics

from helpers import random_silica, tiny_model

pytest.importorskip("tkinter", reason="ase gui needs tkinter (a Python built with Tk)")
ImageGrab = pytest.importorskip("PIL.ImageGrab", reason="screenshots need Pillow")
if shutil.which("Xvfb") is None:
    pytest.skip("no Xvfb for a virtual screen (Debian: apt-get install xvfb)", allow_module_level=True)

SCREEN = (1024, 768)


@pytest.fixture
def display():
    """An Xvfb server on a free display number (chosen by Xvfb itself)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as f:
        number = f.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(10)


def colour_pixels(image: np.ndarray, symbol: str, tolerance: int = 40) -> int:
    """Pixels within `tolerance` of the element's Jmol colour (ase gui's default colouring, lit or shaded)."""
    target = 255 * jmol_colors[atomic_numbers[symbol]]
    return int((np.abs(image[..., :3].astype(float) - target).max(axis=-1) < tolerance).sum())


def test_ase_gui_shows_generated_trajectory(tmp_path, display):
    trajectory = tmp_path / "denoise.traj"
    atoms = random_silica(n_units=20, seed=3)
    with DiffusionDynamics(atoms, tiny_model(), seed=0, trajectory=str(trajectory)) as dyn:
        dyn.run(10)
    frames = read(trajectory, ":")
    assert len(frames) == 11 and frames[-1].get_chemical_formula() == atoms.get_chemical_formula()

    env = dict(os.environ, DISPLAY=display)
    gui = subprocess.Popen([sys.executable, "-m", "ase", "gui", str(trajectory)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, image = time.monotonic() + 60, None
        while time.monotonic() < deadline and gui.poll() is None:
            time.sleep(1.0)
            image = np.asarray(ImageGrab.grab(xdisplay=display))
            if colour_pixels(image, "O") > 100 and colour_pixels(image, "Si") > 100:
                break
        if gui.poll() is not None:
            pytest.fail(f"ase gui exited with {gui.returncode}:\n{gui.stdout.read().decode()}")
    finally:
        gui.terminate()
        gui.wait(10)
    from PIL import Image

    Image.fromarray(image).save(tmp_path / "screenshot.png")
    assert image.shape[:2] == (SCREEN[1], SCREEN[0])
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 50, "the screenshot is (nearly) blank"
    assert colour_pixels(image, "O") > 100, "no red oxygen atoms on the screen"
    assert colour_pixels(image, "Si") > 100, "no silicon atoms on the screen"
