"""Records reference-messages.json: the transport episodes of reference-events.json played again by the SwarmBench
reference (commit c164678) with every agent speaking every round, and what each agent hears next round.

Run from a checkout of the reference (its swarmbench/, framework/ and util.py on the path) with numpy, pulp and a CBC
solver; scipy and openai are not needed by the transport task and are stubbed:
    python3 record-messages.py reference-events.json reference-messages.json
(the reference prints its grid every round, so the episodes go to a file)
"""
import asyncio
import json
import sys
import types

# Modules the reference imports for other tasks or for its LLM client; transport never calls them.
scipy = types.ModuleType('scipy')
scipy.optimize = types.ModuleType('scipy.optimize')
scipy.optimize.linear_sum_assignment = None
sys.modules['scipy'] = scipy
sys.modules['scipy.optimize'] = scipy.optimize
openai = types.ModuleType('openai')
openai.AsyncOpenAI = None
sys.modules['openai'] = openai

import pulp  # noqa: E402

if 'PULP_CBC_CMD' not in pulp.listSolvers(onlyAvailable=True):
    # A distribution's pulp without its bundled CBC: the same solver, installed on its own.
    pulp.PULP_CBC_CMD = pulp.COIN_CMD

from swarmbench.environment import SwarmEnvironment  # noqa: E402


class Brain:
    usage = 0


class Logger:
    def log_game_state(self, *args):
        pass

    def log_agent_action(self, *args):
        pass


class ScriptedAgent:
    """Acts as the reference's SwarmAgent does around its LLM: nothing once escaped, else the scripted move and words."""

    def __init__(self, name):
        self.name = name
        self.brain = Brain()
        self.escaped = False
        self.valid_actions = ['UP', 'DOWN', 'LEFT', 'RIGHT', 'STAY']
        self.msgs = {}
        self.next = {}

    def notify(self, speaker, message):
        self.msgs[speaker] = message

    async def decision(self, obs):
        if self.escaped:
            return {}
        self.msgs = {}
        return self.next


def state(env):
    names = list(env.agents)
    box = next((m for m in env.meshes if m.name == 'B'), None)
    if box is not None and not any(0 <= box.pos[0] + i < env.height and 0 <= box.pos[1] + j < env.width
                                   for i, j in zip(*(box.shape == 'B').nonzero())):
        box = None  # wholly off the map: gone, as the other episodes record it
    return {
        'agents': [[int(env.agent_meshes[n].pos[0]), int(env.agent_meshes[n].pos[1])] for n in names],
        'prey': None,
        'prey_static': None,
        'box': [int(box.pos[0]), int(box.pos[1])] if box is not None else None,
        'lights': None,
        'carrying': None,
        'escaped': [env.agents[n].escaped for n in names],
        'score': env.tasks['Transport'].score,
    }


async def play(scripted):
    names = [f'Agent_{i}' for i in range(10)]
    agents = {n: ScriptedAgent(n) for n in names}
    env = SwarmEnvironment('record', agents, Logger(), task='Transport', max_round=100, width=10, height=10,
                           seed=scripted['seed'], view_size=5)
    episode = {'task': 'transport', 'seed': scripted['seed'], 'label': 'scripted, speaking',
               'initial': state(env), 'rounds': []}
    for number, step in enumerate(scripted['rounds']):
        # The reference's loop: notify everyone, let everyone act, update the world.
        for agent in agents.values():
            env.notify(agent)
        said = []
        for i, (name, move) in enumerate(zip(names, step['actions'])):
            words = None if agents[name].escaped else f'{i} in round {number}'
            said.append(words)
            agents[name].next = {'move': move} | ({'speak': words} if words else {})
        await env.step()
        env.update()
        # What each agent that still acts hears at the start of the next round (an escaped agent no longer decides).
        heard = []
        for name in names:
            listener = agents[name]
            listener.msgs = {}
            env.notify(listener)
            heard.append(None if listener.escaped else list(listener.msgs.values()))
        episode['rounds'].append({'actions': step['actions'], 'messages': said, 'state': state(env), 'heard': heard})
        if env.is_done():
            break
    return episode


def main():
    with open(sys.argv[1]) as f:
        events = json.load(f)
    episodes = [asyncio.run(play(e)) for e in events['episodes'] if e['task'] == 'transport']
    with open(sys.argv[2], 'w') as f:
        json.dump({'episodes': episodes}, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
