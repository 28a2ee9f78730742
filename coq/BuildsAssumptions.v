(* What the theorems of Builds.v rest on: coqc prints "Closed under the global context" for
   each theorem that uses no axiom. Compile with: coqc -Q . Confess Builds.v, then
   coqc -Q . Confess BuildsAssumptions.v (the flags scripts/check-proofs.sh uses). *)
Require Import Confess.Builds.

(* T1: factorisation *)
Print Assumptions Confess.Builds.factorisation.
Print Assumptions Confess.Builds.factorisation_trace.
Print Assumptions Confess.Builds.factorisation_output.
(* T2: soundness *)
Print Assumptions Confess.Builds.soundness_edge.
Print Assumptions Confess.Builds.soundness_leaf_edge.
Print Assumptions Confess.Builds.soundness_direct.
Print Assumptions Confess.Builds.soundness_path.
Print Assumptions Confess.Builds.soundness_injective.
Print Assumptions Confess.Builds.posinj_sensitive.
(* T3: completeness *)
Print Assumptions Confess.Builds.completeness.
Print Assumptions Confess.Builds.completeness_dep.
(* T4: identity *)
Print Assumptions Confess.Builds.encode_injective.
Print Assumptions Confess.Builds.id_collision.
Print Assumptions Confess.Builds.id_eq_cases.
Print Assumptions Confess.Builds.flat_id_collision.
Print Assumptions Confess.Builds.encode_leaf_content.
Print Assumptions Confess.Builds.leaf_id_content.
Print Assumptions Confess.Builds.encode_order.
Print Assumptions Confess.Builds.id_content.
Print Assumptions Confess.Builds.confess_id_content.
(* T5: migration *)
Print Assumptions Confess.Builds.migration.
Print Assumptions Confess.Builds.migration_checkable.
Print Assumptions Confess.Builds.migration_checkable_trace.
Print Assumptions Confess.Builds.graph_stable.
Print Assumptions Confess.Builds.migration_needs_trace.
(* T6: phases *)
Print Assumptions Confess.Builds.configure_graph.
Print Assumptions Confess.Builds.configure_phase.
Print Assumptions Confess.Builds.codegen_graph.
Print Assumptions Confess.Builds.codegen_phase.
Print Assumptions Confess.Builds.compile_scanned_trace.
(* Non-vacuity *)
Print Assumptions Confess.Builds.exT_posinj.
Print Assumptions Confess.Builds.exT_sensitive.
Print Assumptions Confess.Builds.exU_sensitive.
Print Assumptions Confess.Builds.exU_not_posinj.
Print Assumptions Confess.Builds.unused_member_example.
Print Assumptions Confess.Builds.soundness_example.
Print Assumptions Confess.Builds.soundness_direct_example.
Print Assumptions Confess.Builds.needs_trace_example.
