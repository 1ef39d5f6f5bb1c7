"""An example of an exercise region, shown in the book's "Using the course" page and used by the
tests of the exercise tooling."""


# --8<-- [start:example]
def reverse_topological_order(root, parents):
    """Nodes reachable from `root`, each after every node that uses it."""
    # EXERCISE 0.1: visit nodes depth first without recursion; emit a node after its parents
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in parents(node))
    # END EXERCISE
    return order[::-1]
# --8<-- [end:example]
