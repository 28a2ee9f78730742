-- Resource.dhall: what a build needs from outside (coeffects), as confess declares the types
-- of the engine's src/armitage/dhall/Resource.dhall. A pure build is the empty list.
let Resource =
      < Pure | Network | Auth : Text | Sandbox : Text | Filesystem : Text >

let Resources = List Resource

in  { Resource, Resources }
