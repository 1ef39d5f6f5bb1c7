"""A small CNN for the 8x8 digits: two 3x3 convolutions, batch norm, one max pool, a linear head.

Plain PyTorch code, runnable with torch in place of ch2_lego, like the language models.
Letters legend: B batch; the input is (B,1,8,8), the output (B,10) logits.
"""

from ch2_lego import nn


# --8<-- [start:digits_cnn]
class DigitsCNN(nn.Module):
    """(B,1,8,8) -> conv 16 -> conv 32 -> pool to 4x4 -> (B,10) logits."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=3, padding=1),  # (B,16,8,8)
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),  # (B,32,8,8)
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B,32,4,4)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 16, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
# --8<-- [end:digits_cnn]
