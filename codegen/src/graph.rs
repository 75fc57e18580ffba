//! Strongly connected components (iterative Tarjan), used by emitters to
//! find recursive types.

/// Returns, for each node `0..n`, the index of its component. `edges(i)`
/// lists the successors of node `i`. Iterative, so deep graphs cannot
/// overflow the stack.
pub fn scc(n: usize, edges: &dyn Fn(usize) -> Vec<usize>) -> Vec<usize> {
    const UNSET: usize = usize::MAX;
    let mut index = vec![UNSET; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSET; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0usize;
    let mut next_comp = 0usize;
    let succ: Vec<Vec<usize>> = (0..n)
        .map(|i| edges(i).into_iter().filter(|&j| j < n).collect())
        .collect();

    for root in 0..n {
        if index[root] != UNSET {
            continue;
        }
        // (node, next successor position)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if let Some(&w) = succ[v].get(*pos) {
                *pos += 1;
                if index[w] == UNSET {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::scc;

    #[test]
    fn finds_cycles() {
        let edges = |i: usize| match i {
            0 => vec![1],
            1 => vec![2],
            2 => vec![0],
            3 => vec![3],
            _ => vec![],
        };
        let c = scc(5, &edges);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[0], c[3]);
        assert_ne!(c[3], c[4]);
    }
}
