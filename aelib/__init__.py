"""aelib: the library behind the book *Generative Autoencoders*.

The chapters import everything they train and measure from here, and show its
source, so the book and the code cannot drift apart.
"""

__version__ = "0.1.0"

from aelib.budget import budget, fast_mode
from aelib.data import Dataset, check_images, load_dataset, subset_indices
from aelib.files import DataFileError
from aelib.models import VAE, WAE, Autoencoder
from aelib.source import show_source

__all__ = [
    "Autoencoder",
    "DataFileError",
    "Dataset",
    "VAE",
    "WAE",
    "budget",
    "check_images",
    "fast_mode",
    "load_dataset",
    "show_source",
    "subset_indices",
]
