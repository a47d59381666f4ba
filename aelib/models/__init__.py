"""The three models of the book, one a file."""

from aelib.models.autoencoder import Autoencoder
from aelib.models.vae import VAE
from aelib.models.wae import WAE

__all__ = ["Autoencoder", "VAE", "WAE"]
