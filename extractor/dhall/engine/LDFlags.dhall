-- LDFlags.dhall: the engine's link flags, as confess declares them (the types of the engine's
-- src/armitage/dhall/LDFlags.dhall). The engine renders Lib l as -ll, Rpath p as
-- -Wl,-rpath,p, Soname n as -Wl,-soname,n, VersionScript p as -Wl,--version-script,p and
-- Raw r as r.
let LDFlag =
      < Static
      | Shared
      | Pie
      | NoPie
      | Relocatable
      | Lib : Text
      | LibPath : Text
      | Rpath : Text
      | RpathLink : Text
      | Strip
      | StripDebug
      | ExportDynamic
      | AsNeeded
      | NoAsNeeded
      | GcSections
      | NoGcSections
      | PrintGcSections
      | Soname : Text
      | VersionScript : Text
      | LTOJobs : Natural
      | Raw : Text
      >

in  { LDFlag }
