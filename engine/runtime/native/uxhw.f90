! uxhw.f90 — Fortran interface to Penumbra's native UxHw runtime (Bypass and Reference cores).
! `use uxhw`; size arguments accept default or c_size_t integers through generic wrappers.
module uxhw
  use, intrinsic :: iso_c_binding
  implicit none
  interface
    function UxHwDoubleExponentialDist(a) bind(C, name='UxHwDoubleExponentialDist')
      import :: c_double
      real(c_double) :: UxHwDoubleExponentialDist
      real(c_double), value :: a
    end function
    function UxHwDoubleChiSquaredDist(a) bind(C, name='UxHwDoubleChiSquaredDist')
      import :: c_double
      real(c_double) :: UxHwDoubleChiSquaredDist
      real(c_double), value :: a
    end function
    function UxHwDoubleStudentsTDist(a) bind(C, name='UxHwDoubleStudentsTDist')
      import :: c_double
      real(c_double) :: UxHwDoubleStudentsTDist
      real(c_double), value :: a
    end function
    function UxHwDoubleGEVDist(a) bind(C, name='UxHwDoubleGEVDist')
      import :: c_double
      real(c_double) :: UxHwDoubleGEVDist
      real(c_double), value :: a
    end function
    function UxHwDoubleGetIndependentCopy(a) bind(C, name='UxHwDoubleGetIndependentCopy')
      import :: c_double
      real(c_double) :: UxHwDoubleGetIndependentCopy
      real(c_double), value :: a
    end function
    function UxHwDoubleSupportMin(a) bind(C, name='UxHwDoubleSupportMin')
      import :: c_double
      real(c_double) :: UxHwDoubleSupportMin
      real(c_double), value :: a
    end function
    function UxHwDoubleSupportMax(a) bind(C, name='UxHwDoubleSupportMax')
      import :: c_double
      real(c_double) :: UxHwDoubleSupportMax
      real(c_double), value :: a
    end function
    function UxHwDoubleSample(a) bind(C, name='UxHwDoubleSample')
      import :: c_double
      real(c_double) :: UxHwDoubleSample
      real(c_double), value :: a
    end function
    function UxHwDoubleUniformDist(a, b) bind(C, name='UxHwDoubleUniformDist')
      import :: c_double
      real(c_double) :: UxHwDoubleUniformDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleGaussDist(a, b) bind(C, name='UxHwDoubleGaussDist')
      import :: c_double
      real(c_double) :: UxHwDoubleGaussDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleGumbel1Dist(a, b) bind(C, name='UxHwDoubleGumbel1Dist')
      import :: c_double
      real(c_double) :: UxHwDoubleGumbel1Dist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleLogisticDist(a, b) bind(C, name='UxHwDoubleLogisticDist')
      import :: c_double
      real(c_double) :: UxHwDoubleLogisticDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleLaplaceDist(a, b) bind(C, name='UxHwDoubleLaplaceDist')
      import :: c_double
      real(c_double) :: UxHwDoubleLaplaceDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleWeibullDist(a, b) bind(C, name='UxHwDoubleWeibullDist')
      import :: c_double
      real(c_double) :: UxHwDoubleWeibullDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleLognormalDist(a, b) bind(C, name='UxHwDoubleLognormalDist')
      import :: c_double
      real(c_double) :: UxHwDoubleLognormalDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleBetaDist(a, b) bind(C, name='UxHwDoubleBetaDist')
      import :: c_double
      real(c_double) :: UxHwDoubleBetaDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleGammaDist(a, b) bind(C, name='UxHwDoubleGammaDist')
      import :: c_double
      real(c_double) :: UxHwDoubleGammaDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleInverseGammaDist(a, b) bind(C, name='UxHwDoubleInverseGammaDist')
      import :: c_double
      real(c_double) :: UxHwDoubleInverseGammaDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleFDist(a, b) bind(C, name='UxHwDoubleFDist')
      import :: c_double
      real(c_double) :: UxHwDoubleFDist
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleProbabilityGT(a, b) bind(C, name='UxHwDoubleProbabilityGT')
      import :: c_double
      real(c_double) :: UxHwDoubleProbabilityGT
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleQuantile(a, b) bind(C, name='UxHwDoubleQuantile')
      import :: c_double
      real(c_double) :: UxHwDoubleQuantile
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleEvaluatePDF(a, b) bind(C, name='UxHwDoubleEvaluatePDF')
      import :: c_double
      real(c_double) :: UxHwDoubleEvaluatePDF
      real(c_double), value :: a
      real(c_double), value :: b
    end function
    function UxHwDoubleBoundedparetoDist(a, b, c) bind(C, name='UxHwDoubleBoundedparetoDist')
      import :: c_double
      real(c_double) :: UxHwDoubleBoundedparetoDist
      real(c_double), value :: a
      real(c_double), value :: b
      real(c_double), value :: c
    end function
    function UxHwDoubleMixture(a, b, c) bind(C, name='UxHwDoubleMixture')
      import :: c_double
      real(c_double) :: UxHwDoubleMixture
      real(c_double), value :: a
      real(c_double), value :: b
      real(c_double), value :: c
    end function
    function UxHwDoubleLimitDistributionSupport(a, b, c) bind(C, name='UxHwDoubleLimitDistributionSupport')
      import :: c_double
      real(c_double) :: UxHwDoubleLimitDistributionSupport
      real(c_double), value :: a
      real(c_double), value :: b
      real(c_double), value :: c
    end function
    function c_DoubleNthMoment(v, n) bind(C, name='UxHwDoubleNthMoment')
      import :: c_double, c_size_t
      real(c_double) :: c_DoubleNthMoment
      real(c_double), value :: v
      integer(c_size_t), value :: n
    end function
    function c_DoubleNthMode(v, n) bind(C, name='UxHwDoubleNthMode')
      import :: c_double, c_size_t
      real(c_double) :: c_DoubleNthMode
      real(c_double), value :: v
      integer(c_size_t), value :: n
    end function
    function c_DoubleDistFromSamples(s, n) bind(C, name='UxHwDoubleDistFromSamples')
      import :: c_double, c_size_t
      real(c_double) :: c_DoubleDistFromSamples
      real(c_double), intent(in) :: s(*)
      integer(c_size_t), value :: n
    end function
    subroutine c_DoubleSampleBatch(v, d, n) bind(C, name='UxHwDoubleSampleBatch')
      import :: c_double, c_size_t
      real(c_double), value :: v
      real(c_double), intent(out) :: d(*)
      integer(c_size_t), value :: n
    end subroutine
    function UxHwFloatExponentialDist(a) bind(C, name='UxHwFloatExponentialDist')
      import :: c_float
      real(c_float) :: UxHwFloatExponentialDist
      real(c_float), value :: a
    end function
    function UxHwFloatChiSquaredDist(a) bind(C, name='UxHwFloatChiSquaredDist')
      import :: c_float
      real(c_float) :: UxHwFloatChiSquaredDist
      real(c_float), value :: a
    end function
    function UxHwFloatStudentsTDist(a) bind(C, name='UxHwFloatStudentsTDist')
      import :: c_float
      real(c_float) :: UxHwFloatStudentsTDist
      real(c_float), value :: a
    end function
    function UxHwFloatGEVDist(a) bind(C, name='UxHwFloatGEVDist')
      import :: c_float
      real(c_float) :: UxHwFloatGEVDist
      real(c_float), value :: a
    end function
    function UxHwFloatGetIndependentCopy(a) bind(C, name='UxHwFloatGetIndependentCopy')
      import :: c_float
      real(c_float) :: UxHwFloatGetIndependentCopy
      real(c_float), value :: a
    end function
    function UxHwFloatSupportMin(a) bind(C, name='UxHwFloatSupportMin')
      import :: c_float
      real(c_float) :: UxHwFloatSupportMin
      real(c_float), value :: a
    end function
    function UxHwFloatSupportMax(a) bind(C, name='UxHwFloatSupportMax')
      import :: c_float
      real(c_float) :: UxHwFloatSupportMax
      real(c_float), value :: a
    end function
    function UxHwFloatSample(a) bind(C, name='UxHwFloatSample')
      import :: c_float
      real(c_float) :: UxHwFloatSample
      real(c_float), value :: a
    end function
    function UxHwFloatUniformDist(a, b) bind(C, name='UxHwFloatUniformDist')
      import :: c_float
      real(c_float) :: UxHwFloatUniformDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatGaussDist(a, b) bind(C, name='UxHwFloatGaussDist')
      import :: c_float
      real(c_float) :: UxHwFloatGaussDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatGumbel1Dist(a, b) bind(C, name='UxHwFloatGumbel1Dist')
      import :: c_float
      real(c_float) :: UxHwFloatGumbel1Dist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatLogisticDist(a, b) bind(C, name='UxHwFloatLogisticDist')
      import :: c_float
      real(c_float) :: UxHwFloatLogisticDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatLaplaceDist(a, b) bind(C, name='UxHwFloatLaplaceDist')
      import :: c_float
      real(c_float) :: UxHwFloatLaplaceDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatWeibullDist(a, b) bind(C, name='UxHwFloatWeibullDist')
      import :: c_float
      real(c_float) :: UxHwFloatWeibullDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatLognormalDist(a, b) bind(C, name='UxHwFloatLognormalDist')
      import :: c_float
      real(c_float) :: UxHwFloatLognormalDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatBetaDist(a, b) bind(C, name='UxHwFloatBetaDist')
      import :: c_float
      real(c_float) :: UxHwFloatBetaDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatGammaDist(a, b) bind(C, name='UxHwFloatGammaDist')
      import :: c_float
      real(c_float) :: UxHwFloatGammaDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatInverseGammaDist(a, b) bind(C, name='UxHwFloatInverseGammaDist')
      import :: c_float
      real(c_float) :: UxHwFloatInverseGammaDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatFDist(a, b) bind(C, name='UxHwFloatFDist')
      import :: c_float
      real(c_float) :: UxHwFloatFDist
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatProbabilityGT(a, b) bind(C, name='UxHwFloatProbabilityGT')
      import :: c_float
      real(c_float) :: UxHwFloatProbabilityGT
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatQuantile(a, b) bind(C, name='UxHwFloatQuantile')
      import :: c_float
      real(c_float) :: UxHwFloatQuantile
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatEvaluatePDF(a, b) bind(C, name='UxHwFloatEvaluatePDF')
      import :: c_float
      real(c_float) :: UxHwFloatEvaluatePDF
      real(c_float), value :: a
      real(c_float), value :: b
    end function
    function UxHwFloatBoundedparetoDist(a, b, c) bind(C, name='UxHwFloatBoundedparetoDist')
      import :: c_float
      real(c_float) :: UxHwFloatBoundedparetoDist
      real(c_float), value :: a
      real(c_float), value :: b
      real(c_float), value :: c
    end function
    function UxHwFloatMixture(a, b, c) bind(C, name='UxHwFloatMixture')
      import :: c_float
      real(c_float) :: UxHwFloatMixture
      real(c_float), value :: a
      real(c_float), value :: b
      real(c_float), value :: c
    end function
    function UxHwFloatLimitDistributionSupport(a, b, c) bind(C, name='UxHwFloatLimitDistributionSupport')
      import :: c_float
      real(c_float) :: UxHwFloatLimitDistributionSupport
      real(c_float), value :: a
      real(c_float), value :: b
      real(c_float), value :: c
    end function
    function c_FloatNthMoment(v, n) bind(C, name='UxHwFloatNthMoment')
      import :: c_float, c_size_t
      real(c_float) :: c_FloatNthMoment
      real(c_float), value :: v
      integer(c_size_t), value :: n
    end function
    function c_FloatNthMode(v, n) bind(C, name='UxHwFloatNthMode')
      import :: c_float, c_size_t
      real(c_float) :: c_FloatNthMode
      real(c_float), value :: v
      integer(c_size_t), value :: n
    end function
    function c_FloatDistFromSamples(s, n) bind(C, name='UxHwFloatDistFromSamples')
      import :: c_float, c_size_t
      real(c_float) :: c_FloatDistFromSamples
      real(c_float), intent(in) :: s(*)
      integer(c_size_t), value :: n
    end function
    subroutine c_FloatSampleBatch(v, d, n) bind(C, name='UxHwFloatSampleBatch')
      import :: c_float, c_size_t
      real(c_float), value :: v
      real(c_float), intent(out) :: d(*)
      integer(c_size_t), value :: n
    end subroutine
  end interface
  interface UxHwDoubleNthMoment
    module procedure double_nthmoment_i4, double_nthmoment_i8
  end interface
  interface UxHwDoubleNthMode
    module procedure double_nthmode_i4, double_nthmode_i8
  end interface
  interface UxHwDoubleDistFromSamples
    module procedure double_distfromsamples_i4, double_distfromsamples_i8
  end interface
  interface UxHwDoubleSampleBatch
    module procedure double_samplebatch_i4, double_samplebatch_i8
  end interface
  interface UxHwFloatNthMoment
    module procedure float_nthmoment_i4, float_nthmoment_i8
  end interface
  interface UxHwFloatNthMode
    module procedure float_nthmode_i4, float_nthmode_i8
  end interface
  interface UxHwFloatDistFromSamples
    module procedure float_distfromsamples_i4, float_distfromsamples_i8
  end interface
  interface UxHwFloatSampleBatch
    module procedure float_samplebatch_i4, float_samplebatch_i8
  end interface
contains
  function double_nthmoment_i4(v, n) result(r)
    real(c_double), intent(in) :: v
    integer(4), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleNthMoment(v, int(n, c_size_t))
  end function
  function double_nthmode_i4(v, n) result(r)
    real(c_double), intent(in) :: v
    integer(4), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleNthMode(v, int(n, c_size_t))
  end function
  function double_distfromsamples_i4(s, n) result(r)
    real(c_double), intent(in) :: s(*)
    integer(4), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleDistFromSamples(s, int(n, c_size_t))
  end function
  subroutine double_samplebatch_i4(v, d, n)
    real(c_double), intent(in) :: v
    real(c_double), intent(out) :: d(*)
    integer(4), intent(in) :: n
    call c_DoubleSampleBatch(v, d, int(n, c_size_t))
  end subroutine
  function double_nthmoment_i8(v, n) result(r)
    real(c_double), intent(in) :: v
    integer(8), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleNthMoment(v, int(n, c_size_t))
  end function
  function double_nthmode_i8(v, n) result(r)
    real(c_double), intent(in) :: v
    integer(8), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleNthMode(v, int(n, c_size_t))
  end function
  function double_distfromsamples_i8(s, n) result(r)
    real(c_double), intent(in) :: s(*)
    integer(8), intent(in) :: n
    real(c_double) :: r
    r = c_DoubleDistFromSamples(s, int(n, c_size_t))
  end function
  subroutine double_samplebatch_i8(v, d, n)
    real(c_double), intent(in) :: v
    real(c_double), intent(out) :: d(*)
    integer(8), intent(in) :: n
    call c_DoubleSampleBatch(v, d, int(n, c_size_t))
  end subroutine
  function float_nthmoment_i4(v, n) result(r)
    real(c_float), intent(in) :: v
    integer(4), intent(in) :: n
    real(c_float) :: r
    r = c_FloatNthMoment(v, int(n, c_size_t))
  end function
  function float_nthmode_i4(v, n) result(r)
    real(c_float), intent(in) :: v
    integer(4), intent(in) :: n
    real(c_float) :: r
    r = c_FloatNthMode(v, int(n, c_size_t))
  end function
  function float_distfromsamples_i4(s, n) result(r)
    real(c_float), intent(in) :: s(*)
    integer(4), intent(in) :: n
    real(c_float) :: r
    r = c_FloatDistFromSamples(s, int(n, c_size_t))
  end function
  subroutine float_samplebatch_i4(v, d, n)
    real(c_float), intent(in) :: v
    real(c_float), intent(out) :: d(*)
    integer(4), intent(in) :: n
    call c_FloatSampleBatch(v, d, int(n, c_size_t))
  end subroutine
  function float_nthmoment_i8(v, n) result(r)
    real(c_float), intent(in) :: v
    integer(8), intent(in) :: n
    real(c_float) :: r
    r = c_FloatNthMoment(v, int(n, c_size_t))
  end function
  function float_nthmode_i8(v, n) result(r)
    real(c_float), intent(in) :: v
    integer(8), intent(in) :: n
    real(c_float) :: r
    r = c_FloatNthMode(v, int(n, c_size_t))
  end function
  function float_distfromsamples_i8(s, n) result(r)
    real(c_float), intent(in) :: s(*)
    integer(8), intent(in) :: n
    real(c_float) :: r
    r = c_FloatDistFromSamples(s, int(n, c_size_t))
  end function
  subroutine float_samplebatch_i8(v, d, n)
    real(c_float), intent(in) :: v
    real(c_float), intent(out) :: d(*)
    integer(8), intent(in) :: n
    call c_FloatSampleBatch(v, d, int(n, c_size_t))
  end subroutine
end module uxhw
