"""Chapter 2's models: the MLP language model, the small GPT and Llama, the digits CNN, training
loops.

mlp_lm.py, gpt.py, llama.py and cnn.py are ordinary PyTorch code over ch2_lego (twin.py runs them on
torch itself, for the tests and the benchmark); train.py holds the loops, which draw batches
with numpy so that runs in the two libraries can be compared step for step.
"""
