select * from t where a = E'x\'' and b in (1,2,3) -- c
/* a /* b */ c */ $q$ body $q$ $1 1.5e+3 "id""x" U&'d\0061'