import Confess.Parametricity
import Confess.Builds
