-- Build.dhall: the engine's target, as confess declares the types of the engine's
-- src/armitage/dhall/Build.dhall. The engine reads a BUILD.dhall as exactly List Target.
let Resource = ./Resource.dhall

let Toolchain = ./Toolchain.dhall

let Triple = ./Triple.dhall

let Dep =
      < Local : Text
      | External : { hash : Text, name : Text }
      | PkgConfig : Text
      | Flake : Text
      >

let Src =
      < Files : List Text
      | Fetch : { url : Text, hash : Text }
      | Git : { url : Text, rev : Text, hash : Text }
      >

let Target =
      { name : Text
      , srcs : Src
      , deps : List Dep
      , toolchain : Toolchain.Toolchain
      , requires : Resource.Resources
      }

in  { Dep, Src, Target, Resource, Toolchain, Triple }
