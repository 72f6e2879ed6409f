"""GAN family: losses, GAN / DCGAN / WGAN / WGAN-GP / conditional models, latent GAN, image metrics.

Not implemented yet: its issue has not landed.
"""
