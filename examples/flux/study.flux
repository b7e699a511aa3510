#!/bin/bash
# The study as one Flux batch job: Dakota and batchtile both run in the
# job's own Flux instance (2 whole nodes: with -N and no -n, Flux allocates
# the nodes exclusively), and every batch uses all of its cores.
#
#   flux batch study.flux                     (output: flux-JOBID.out)
#   DAKOTA="batchtile study" flux batch study.flux   (no Dakota: batchtile's own)
#
#flux: -N2
#flux: -t 30m
#flux: --job-name=dakota-batchtile

${DAKOTA:-dakota -i} dakota_sampling_flux.in
