program t
  use uxhw
  implicit none
  double precision :: x, y
  x = UxHwDoubleGaussDist(2.0d0, 0.5d0)
  y = x * x
  print '(A,F12.6)', 'y = ', y
  print '(A,F12.6)', 'sd = ', sqrt(UxHwDoubleNthMoment(y, 2))
end program
