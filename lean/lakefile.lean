import Lake
open Lake DSL

package confess where

@[default_target]
lean_lib Confess where
