"""Chapter 2's models: the MLP language model, the small GPT, the digits CNN, training loops.

mlp_lm.py, gpt.py and cnn.py are ordinary PyTorch code over ch2_lego (twin.py runs them on
torch itself); train.py holds the loops, drawing batches with numpy so runs can be compared.
"""
