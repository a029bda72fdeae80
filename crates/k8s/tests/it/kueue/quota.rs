//! The quota tree, as Kueue keeps it (`pkg/cache/scheduler/resource_node.go` in kubernetes-sigs/kueue):
//! every ClusterQueue and Cohort holds, per (flavor, resource), a nominal quota with optional borrowing
//! and lending limits; `available` and `potential_available` walk up to the root the same way.

use std::collections::BTreeMap;

/// A flavor and a resource.
pub(crate) type Fr = (String, String);

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Quota {
    pub(crate) nominal: i64,
    pub(crate) borrowing_limit: Option<i64>,
    pub(crate) lending_limit: Option<i64>,
}

/// A node of the tree: a ClusterQueue or a Cohort.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Node {
    Cq(String),
    Cohort(String),
}

/// Quotas per node, the tree's edges, and each ClusterQueue's admitted usage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tree {
    pub(crate) quotas: BTreeMap<Node, BTreeMap<Fr, Quota>>,
    pub(crate) parent: BTreeMap<Node, String>,
    pub(crate) usage: BTreeMap<String, BTreeMap<Fr, i64>>,
}

impl Tree {
    fn quota(&self, n: &Node, fr: &Fr) -> Quota {
        self.quotas.get(n).and_then(|q| q.get(fr)).copied().unwrap_or_default()
    }

    fn children(&self, cohort: &str) -> Vec<Node> {
        self.parent.iter().filter(|(_, p)| p.as_str() == cohort).map(|(n, _)| n.clone()).collect()
    }

    fn parent_of(&self, n: &Node) -> Option<Node> {
        self.parent.get(n).map(|p| Node::Cohort(p.clone()))
    }

    /// A ClusterQueue's nominal; a Cohort's own nominal plus what each child does not keep local.
    pub(crate) fn subtree_quota(&self, n: &Node, fr: &Fr) -> i64 {
        let own = self.quota(n, fr).nominal;
        match n {
            Node::Cq(_) => own,
            Node::Cohort(c) => {
                own + self
                    .children(c)
                    .iter()
                    .map(|ch| self.subtree_quota(ch, fr) - self.local_quota(ch, fr))
                    .sum::<i64>()
            }
        }
    }

    /// What a node keeps from its parent: `max(0, subtree − lendingLimit)`, or nothing without a limit.
    pub(crate) fn local_quota(&self, n: &Node, fr: &Fr) -> i64 {
        self.quota(n, fr).lending_limit.map_or(0, |l| (self.subtree_quota(n, fr) - l).max(0))
    }

    /// A ClusterQueue's admitted usage; a Cohort's, what its children use beyond their local quota.
    pub(crate) fn usage(&self, n: &Node, fr: &Fr) -> i64 {
        match n {
            Node::Cq(cq) => self.usage.get(cq).and_then(|u| u.get(fr)).copied().unwrap_or(0),
            Node::Cohort(c) => {
                self.children(c).iter().map(|ch| (self.usage(ch, fr) - self.local_quota(ch, fr)).max(0)).sum()
            }
        }
    }

    fn local_available(&self, n: &Node, fr: &Fr) -> i64 {
        (self.local_quota(n, fr) - self.usage(n, fr)).max(0)
    }

    /// Capacity left to `n`: its unused local quota plus what its parent can give, within its borrowing
    /// limit (`available` in resource_node.go).
    pub(crate) fn available(&self, n: &Node, fr: &Fr) -> i64 {
        let Some(parent) = self.parent_of(n) else { return self.subtree_quota(n, fr) - self.usage(n, fr) };
        let mut from_parent = self.available(&parent, fr);
        if let Some(limit) = self.quota(n, fr).borrowing_limit {
            let stored_in_parent = self.subtree_quota(n, fr) - self.local_quota(n, fr);
            let used_in_parent = (self.usage(n, fr) - self.local_quota(n, fr)).max(0);
            from_parent = from_parent.min(stored_in_parent - used_in_parent + limit);
        }
        self.local_available(n, fr) + from_parent
    }

    /// The same with no usage anywhere: the most a workload of `n` could ever get (`potentialAvailable`).
    pub(crate) fn potential_available(&self, n: &Node, fr: &Fr) -> i64 {
        let Some(parent) = self.parent_of(n) else { return self.subtree_quota(n, fr) };
        let mut most = self.local_quota(n, fr) + self.potential_available(&parent, fr);
        if let Some(limit) = self.quota(n, fr).borrowing_limit {
            most = most.min(self.subtree_quota(n, fr) + limit);
        }
        most
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> Fr {
        ("h200".into(), "nvidia.com/gpu".into())
    }

    fn tree(a: Quota, b: Quota) -> Tree {
        let mut t = Tree::default();
        for (name, q) in [("team-a", a), ("team-b", b)] {
            t.quotas.insert(Node::Cq(name.into()), BTreeMap::from([(fr(), q)]));
            t.parent.insert(Node::Cq(name.into()), "ml".into());
        }
        t
    }

    /// The worked examples of `../reference/kueue.md` §2.2 and §2.3 (Kueue's own tests).
    #[test]
    fn borrowing_and_lending_follow_kueues_worked_examples() {
        let eight = Quota { nominal: 8, ..Quota::default() };
        let mut t = tree(eight, eight);
        t.usage.insert("team-a".into(), BTreeMap::from([(fr(), 8)]));
        let a = Node::Cq("team-a".into());
        assert_eq!(t.available(&a, &fr()), 8, "16 in the cohort, 8 used");
        let mut limited = tree(Quota { borrowing_limit: Some(4), ..eight }, eight);
        limited.usage = t.usage.clone();
        assert_eq!(limited.potential_available(&a, &fr()), 12, "min(8 + 4, 16)");
        assert_eq!(limited.available(&a, &fr()), 4);
        let lent = tree(eight, Quota { lending_limit: Some(2), ..eight });
        assert_eq!(lent.potential_available(&a, &fr()), 10, "team-b keeps 6 to itself");
        let never = tree(Quota { borrowing_limit: Some(0), ..eight }, eight);
        assert_eq!(never.potential_available(&a, &fr()), 8, "borrowingLimit 0: its own nominal, no more");
    }
}
