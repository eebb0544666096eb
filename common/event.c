#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

