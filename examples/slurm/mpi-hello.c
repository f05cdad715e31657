/* mpi-hello.c: every MPI rank says who it is and where it runs (mpi-hello.sh builds and runs it).
 *
 * The node is MPI's processor name, the host name of the machine the rank runs on (under
 * `hpcbridge dev --nodes N`, whose nodes share one machine, each node's processes see their
 * node's name as the host name). Rank 0 also sums the ranks with MPI_Reduce, so the line
 * "sum of ranks: N" proves the ranks talked to each other, not only that they started.
 *
 *   mpicc -O2 -o mpi-hello mpi-hello.c
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int rank, size, len, sum = 0;
	char name[MPI_MAX_PROCESSOR_NAME];

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Get_processor_name(name, &len);
	printf("rank %d of %d on %s\n", rank, size, name);
	fflush(stdout);
	MPI_Reduce(&rank, &sum, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("sum of ranks: %d\n", sum);
	MPI_Finalize();
	return 0;
}
